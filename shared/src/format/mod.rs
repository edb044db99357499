//! The formats inside a frame or a body: JSON, MessagePack, RFC 5424 syslog, Northflank text,
//! OTLP (protobuf or JSON).

pub mod json;
pub mod json_safe;
pub mod msgpack;
pub mod northflank_text;
pub mod loki;
pub mod otlp;
pub mod syslog;
