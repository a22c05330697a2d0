//! fluxspec compiles one KDL spec (`homelab.kdl`) into a multi-cluster Flux `GitOps` tree.
//!
//! The pipeline, one module per stage: [`parse`] (KDL -> spanned syntax) -> [`resolve`] (syntax ->
//! checked model, reading the files the spec names) -> [`render`] (model -> in-memory file tree,
//! pure) -> [`sync`] (file tree -> disk). [`cli`] is the only module that prints.

#[doc(hidden)]
pub mod bench;
mod build;
mod cli;
mod compile;
mod diff;
mod fmt;
mod graph;
mod import;
mod init;
mod input;
mod kustomize_dir;
mod layout;
mod lsp;
mod manual;
mod model;
mod output;
mod parse;
mod promote;
mod render;
mod renovate;
mod report;
mod repository;
mod resolve;
mod select;
mod suggest;
mod sync;
mod synth;
mod text;
mod tree;
mod versions;

pub mod substitute;

pub use cli::run;
#[doc(hidden)]
pub use compile::testing;
