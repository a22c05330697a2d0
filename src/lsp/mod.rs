//! `fluxspec lsp`: a Language Server Protocol server over stdio, so an editor shows what
//! `compile` would say while the spec is typed.
//!
//! Built on rust-analyzer's `lsp-server` (the JSON-RPC framing, the initialize and shutdown
//! handshakes) and `lsp-types` (the protocol's types): synchronous, no async runtime. The
//! server is one loop over incoming messages; the compiler is synchronous too, and a request
//! waits for the compile it needs anyway.
//!
//! Every answer comes from the compiler's own pipeline, run on the text the editor holds
//! (`documents`): its diagnostics (`diagnostics`), the parsed syntax tree's spans and the
//! resolved model (`symbols`, `hover`, `navigate`, `completion`), the `promote` edit and the
//! "did you mean" of a diagnostic (`actions`), and `fmt` (`formatting`). Nothing is written to
//! disk: the edits go back to the editor, which applies them.
//!
//! Edits are debounced: a change marks the spec stale, and it is compiled once no message has
//! arrived for [`DEBOUNCE`] (or at once when a request needs its result).

mod actions;
mod completion;
mod diagnostics;
mod documents;
mod formatting;
mod hover;
mod navigate;
mod symbols;
mod text;

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use crate::compile::SpecSource;
use crossbeam_channel::RecvTimeoutError;
use lsp_server::{Connection, ExtractError, Message, Notification, Request, Response};
use lsp_types::notification::{
    DidChangeTextDocument, DidCloseTextDocument, DidOpenTextDocument, DidSaveTextDocument,
    Notification as _, PublishDiagnostics,
};
use lsp_types::request::{
    CodeActionRequest, Completion, Formatting, GotoDefinition, HoverRequest, References,
};
use lsp_types::{
    CodeActionProviderCapability, CompletionOptions, OneOf, PublishDiagnosticsParams,
    ServerCapabilities, TextDocumentSyncCapability, TextDocumentSyncKind, Uri,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

use documents::{Document, analyse, is_spec, path_of};

/// How long the spec must go unedited before it is compiled again.
const DEBOUNCE: Duration = Duration::from_millis(150);

/// Serves the editor on stdin and stdout until it shuts the server down.
pub(crate) fn run() -> Result<(), String> {
    let (connection, threads) = Connection::stdio();
    let capabilities = ServerCapabilities {
        text_document_sync: Some(TextDocumentSyncCapability::Kind(TextDocumentSyncKind::FULL)),
        hover_provider: Some(lsp_types::HoverProviderCapability::Simple(true)),
        definition_provider: Some(OneOf::Left(true)),
        references_provider: Some(OneOf::Left(true)),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(vec!["\"".to_owned(), "=".to_owned()]),
            ..CompletionOptions::default()
        }),
        code_action_provider: Some(CodeActionProviderCapability::Simple(true)),
        document_formatting_provider: Some(OneOf::Left(true)),
        ..ServerCapabilities::default()
    };
    let capabilities = serde_json::to_value(capabilities).map_err(|error| error.to_string())?;
    connection
        .initialize(capabilities)
        .map_err(|error| error.to_string())?;
    Server {
        connection: &connection,
        documents: HashMap::new(),
        stale: BTreeSet::new(),
    }
    .serve()?;
    drop(connection);
    threads.join().map_err(|error| error.to_string())
}

struct Server<'a> {
    connection: &'a Connection,
    documents: HashMap<Uri, Document>,
    /// Specs edited since they were last compiled.
    stale: BTreeSet<Uri>,
}

impl Server<'_> {
    fn serve(&mut self) -> Result<(), String> {
        loop {
            let message = if self.stale.is_empty() {
                self.connection.receiver.recv().ok()
            } else {
                match self.connection.receiver.recv_timeout(DEBOUNCE) {
                    Ok(message) => Some(message),
                    Err(RecvTimeoutError::Timeout) => {
                        self.refresh()?;
                        continue;
                    }
                    Err(RecvTimeoutError::Disconnected) => None,
                }
            };
            match message {
                None => return Ok(()),
                Some(Message::Request(request)) => {
                    if self
                        .connection
                        .handle_shutdown(&request)
                        .map_err(|error| error.to_string())?
                    {
                        return Ok(());
                    }
                    self.refresh()?;
                    let response = self.answer(request);
                    self.send(Message::Response(response))?;
                }
                Some(Message::Notification(notification)) => self.notified(notification),
                Some(Message::Response(_)) => {}
            }
        }
    }

    fn send(&self, message: Message) -> Result<(), String> {
        self.connection
            .sender
            .send(message)
            .map_err(|error| error.to_string())
    }

    /// Compiles every stale spec and publishes its diagnostics.
    fn refresh(&mut self) -> Result<(), String> {
        for uri in std::mem::take(&mut self.stale) {
            let Some(document) = self.documents.get_mut(&uri) else {
                continue;
            };
            let Some(path) = path_of(&uri) else {
                continue;
            };
            let previous = document.analysis.take().and_then(|analysis| analysis.model);
            let analysis = analyse(&uri, &path, &document.text, previous);
            let params = PublishDiagnosticsParams::new(uri, analysis.diagnostics.clone(), None);
            document.analysis = Some(analysis);
            self.send(publish(params))?;
        }
        Ok(())
    }

    fn notified(&mut self, notification: Notification) {
        let notification = match cast_notification::<DidOpenTextDocument>(notification) {
            Ok(params) => {
                let document = params.text_document;
                if !is_spec(&document.uri) {
                    self.open_spec_of(&document.uri);
                }
                self.opened(document.uri, document.text);
                return;
            }
            Err(notification) => notification,
        };
        let notification = match cast_notification::<DidChangeTextDocument>(notification) {
            Ok(mut params) => {
                // Full sync: the last change holds the whole text.
                if let Some(change) = params.content_changes.pop() {
                    self.opened(params.text_document.uri, change.text);
                }
                return;
            }
            Err(notification) => notification,
        };
        let notification = match cast_notification::<DidSaveTextDocument>(notification) {
            Ok(params) => {
                // A referenced file saved: every spec may see it differently now.
                if !is_spec(&params.text_document.uri) {
                    self.stale
                        .extend(self.documents.keys().filter(|uri| is_spec(uri)).cloned());
                }
                return;
            }
            Err(notification) => notification,
        };
        if let Ok(params) = cast_notification::<DidCloseTextDocument>(notification) {
            let uri = params.text_document.uri;
            self.documents.remove(&uri);
            self.stale.remove(&uri);
            if is_spec(&uri) {
                let params = PublishDiagnosticsParams::new(uri, Vec::new(), None);
                // The client is gone when this fails; the loop ends on its next receive.
                let _ = self.send(publish(params));
            }
        }
    }

    /// The spec `uri` and what the compiler found in it.
    fn spec_of(&self, uri: &Uri) -> Option<(&Document, &documents::Analysis)> {
        let document = self.documents.get(uri)?;
        Some((document, document.analysis.as_ref()?))
    }

    /// The spec a referenced file (`uri`) belongs to: an open spec in one of its parent
    /// directories, the nearest first.
    fn spec_for(&self, uri: &Uri) -> Option<(&Uri, &Document)> {
        let path = path_of(uri)?;
        self.documents
            .iter()
            .filter(|(spec, document)| is_spec(spec) && document.analysis.is_some())
            .filter_map(|(spec, document)| {
                let dir = path_of(spec)?.parent()?.to_owned();
                path.starts_with(&dir)
                    .then(|| (dir.components().count(), (spec, document)))
            })
            .max_by_key(|(depth, _)| *depth)
            .map(|(_, found)| found)
    }

    /// Opens, as the editor would, the spec of a referenced file `uri` when none is open: the
    /// nearest `homelab.kdl` or `spec/homelab.kdl` above it.
    fn open_spec_of(&mut self, uri: &Uri) {
        let Some(path) = path_of(uri) else {
            return;
        };
        let open = self
            .documents
            .keys()
            .filter(|spec| is_spec(spec))
            .any(|spec| {
                path_of(spec)
                    .and_then(|spec| spec.parent().map(|dir| path.starts_with(dir)))
                    .unwrap_or(false)
            });
        if open {
            return;
        }
        let spec = path.ancestors().skip(1).find_map(|dir| {
            ["homelab.kdl", "spec/homelab.kdl"]
                .iter()
                .map(|name| dir.join(name))
                .find(|candidate| candidate.is_file())
        });
        if let Some((spec_uri, text)) = spec.and_then(|spec| {
            Some((
                documents::uri_of(&spec)?,
                SpecSource::at(&spec).read().ok()?,
            ))
        }) {
            self.opened(spec_uri, text);
        }
    }

    fn opened(&mut self, uri: Uri, text: String) {
        let analysis = self
            .documents
            .remove(&uri)
            .and_then(|document| document.analysis);
        if is_spec(&uri) {
            self.stale.insert(uri.clone());
        }
        self.documents.insert(uri, Document { text, analysis });
    }

    fn answer(&mut self, request: Request) -> Response {
        let id = request.id.clone();
        // Each arm: the request's parameters if it is of that method, else on to the next.
        macro_rules! serve {
            ($request:ident, $($method:ty => $handler:path),+ $(,)?) => {$(
                let $request = match cast_request::<$method>($request) {
                    Ok(params) => return respond(id, $handler(self, &params)),
                    Err(Some(request)) => request,
                    Err(None) => return Response::new_err(
                        id,
                        lsp_server::ErrorCode::InvalidParams as i32,
                        format!("invalid parameters for `{}`", <$method as lsp_types::request::Request>::METHOD),
                    ),
                };
            )+};
        }
        serve!(request,
            HoverRequest => hover::hover,
            GotoDefinition => navigate::definition,
            References => navigate::references,
            Completion => completion::complete,
            CodeActionRequest => actions::code_actions,
            Formatting => formatting::format,
        );
        Response::new_err(
            id,
            lsp_server::ErrorCode::MethodNotFound as i32,
            format!("fluxspec lsp does not serve `{}`", request.method),
        )
    }
}

fn respond(id: lsp_server::RequestId, result: impl Serialize) -> Response {
    match serde_json::to_value(result) {
        Ok(value) => Response::new_ok(id, value),
        Err(error) => Response::new_err(
            id,
            lsp_server::ErrorCode::InternalError as i32,
            error.to_string(),
        ),
    }
}

fn publish(params: PublishDiagnosticsParams) -> Message {
    Message::Notification(Notification::new(
        PublishDiagnostics::METHOD.to_owned(),
        params,
    ))
}

/// The request's parameters if it is an `R`; else the request back, or `None` when it is an `R`
/// with parameters that do not parse.
fn cast_request<R>(request: Request) -> Result<R::Params, Option<Request>>
where
    R: lsp_types::request::Request,
    R::Params: DeserializeOwned,
{
    request
        .extract(R::METHOD)
        .map(|(_, params)| params)
        .map_err(|error| match error {
            ExtractError::MethodMismatch(request) => Some(request),
            ExtractError::JsonError { .. } => None,
        })
}

fn cast_notification<N>(notification: Notification) -> Result<N::Params, Notification>
where
    N: lsp_types::notification::Notification,
    N::Params: DeserializeOwned,
{
    notification
        .extract(N::METHOD)
        .map_err(|error| match error {
            ExtractError::MethodMismatch(notification) => notification,
            ExtractError::JsonError { method, .. } => Notification::new(method, ()),
        })
}
