//! NBD (the Network Block Device protocol of the NBD project's
//! `doc/proto.md`): a server that exports images (`mimic nbd`, qemu-nbd's
//! command line) and a client driver so the block layer opens
//! `nbd://host:port/name` and `nbd+unix:///name?socket=PATH` like files.
//!
//! - [`proto`]: wire constants and message layouts;
//! - [`stream`]: TCP or Unix sockets behind one type;
//! - [`uri`]: the address forms;
//! - [`server`]: listener, negotiation, transmission, exports;
//! - [`client`]: the `BlockDriver` over an NBD connection;
//! - [`cli`]: `mimic nbd` / `mimic-nbd`.

pub mod cli;
pub mod client;
pub mod proto;
pub mod server;
pub mod stream;
pub mod uri;

pub use cli::nbd_main;
pub use client::NbdClient;
pub use uri::is_nbd_url;
