//! How a body splits into messages, apart from what each message says (Vector's split).
//! JSON streams are framed by serde_json itself; Northflank text by lines.

pub mod octet_counting;
