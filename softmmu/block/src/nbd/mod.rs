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
//!
//! How the server is fast: each connection has a few workers that take
//! turns reading requests (no hand-off per request) and send replies under
//! a writer lock; raw files are served with positioned I/O from any worker
//! (other formats through their driver behind a mutex); structured read
//! replies from raw files are spliced from the page cache to the socket
//! without copying; raw files without holes skip block-status queries.
//! Memory is bounded: 32 MiB per request, a byte budget per connection and
//! one for the whole server.

pub mod cli;
pub mod client;
pub mod proto;
pub mod server;
pub mod stream;
pub mod uri;

pub use cli::nbd_main;
pub use client::NbdClient;
pub use uri::is_nbd_url;
