//! What a drive does when the host fails a guest request (`-drive
//! werror=..., rerror=...`, QEMU's BlockdevOnError): report the error to
//! the guest, ignore it (the request completes as if it worked), or stop
//! the VM (`stop`, or `enospc`: stop on ENOSPC, report otherwise) so that
//! `cont` retries the request. Each failure is a BLOCK_IO_ERROR event.

pub const ENOSPC: i32 = 28;

/// One of `report`, `ignore`, `stop`, `enospc`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorPolicy {
    Report,
    Ignore,
    Stop,
    Enospc,
}

impl ErrorPolicy {
    pub fn parse(v: &str) -> Option<ErrorPolicy> {
        Some(match v {
            "report" => ErrorPolicy::Report,
            "ignore" => ErrorPolicy::Ignore,
            "stop" => ErrorPolicy::Stop,
            "enospc" => ErrorPolicy::Enospc,
            _ => return None,
        })
    }

    /// The action for a failure with `errno`.
    pub fn action(self, errno: i32) -> Action {
        match self {
            ErrorPolicy::Report => Action::Report,
            ErrorPolicy::Ignore => Action::Ignore,
            ErrorPolicy::Stop => Action::Stop,
            ErrorPolicy::Enospc if errno == ENOSPC => Action::Stop,
            ErrorPolicy::Enospc => Action::Report,
        }
    }
}

/// A drive's policies; QEMU's defaults are werror=enospc, rerror=report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorPolicies {
    pub werror: ErrorPolicy,
    pub rerror: ErrorPolicy,
}

impl Default for ErrorPolicies {
    fn default() -> Self {
        ErrorPolicies {
            werror: ErrorPolicy::Enospc,
            rerror: ErrorPolicy::Report,
        }
    }
}

/// What happens to a failed request (QMP's BlockErrorAction).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// The guest gets an I/O error.
    Report,
    /// The request completes as if it had worked.
    Ignore,
    /// The VM stops; `cont` retries the request.
    Stop,
}

impl Action {
    pub fn name(self) -> &'static str {
        match self {
            Action::Report => "report",
            Action::Ignore => "ignore",
            Action::Stop => "stop",
        }
    }
}

/// One failed request, as the BLOCK_IO_ERROR event reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IoFailure {
    /// The drive's id ("" once drive_del removed it).
    pub device: String,
    pub node_name: String,
    pub write: bool,
    pub action: Action,
    pub nospace: bool,
    /// strerror() of the errno.
    pub reason: String,
}

/// The host's text for `errno` ("No space left on device").
pub fn strerror(errno: i32) -> String {
    let s = std::io::Error::from_raw_os_error(errno).to_string();
    match s.rsplit_once(" (os error") {
        Some((t, _)) => t.to_string(),
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_pick_actions() {
        let d = ErrorPolicies::default();
        assert_eq!(d.werror.action(ENOSPC), Action::Stop);
        assert_eq!(d.werror.action(5), Action::Report);
        assert_eq!(d.rerror.action(ENOSPC), Action::Report);
        assert_eq!(ErrorPolicy::Ignore.action(5), Action::Ignore);
        assert_eq!(ErrorPolicy::parse("stop"), Some(ErrorPolicy::Stop));
        assert_eq!(ErrorPolicy::parse("panic"), None);
        assert_eq!(strerror(ENOSPC), "No space left on device");
    }
}
