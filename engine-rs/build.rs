//! Compiles the `cream.v1` protobuf contract with protox (pure Rust, no protoc) and prost.

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let proto_dir = PathBuf::from("../proto");
    let files: Vec<PathBuf> = ["common", "decision", "execution", "market_snapshot"]
        .iter()
        .map(|name| proto_dir.join("cream/v1").join(format!("{name}.proto")))
        .collect();
    for file in &files {
        println!("cargo:rerun-if-changed={}", file.display());
    }
    let descriptors = protox::compile(&files, [&proto_dir])?;
    let mut config = prost_build::Config::new();
    // Ordered maps keep every encoded message deterministic.
    config.btree_map(["."]);
    config.compile_fds(descriptors)?;
    Ok(())
}
