//! What a stack's status means for the next deploy, and when an operation has ended.
//!
//! Pure: CloudFormation status strings in, decisions out.

/// What a deploy does with a stack, given its status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Next {
    /// No stack: create it (`CREATE` change set).
    Create,
    /// A stack created by a change set that was never executed: `CREATE` again.
    CreateInReview,
    /// A stable stack: `UPDATE` change set.
    Update,
    /// A failed first create left the stack empty; it must be deleted before it can be
    /// created again.
    DeleteAndRecreate,
    /// Another operation is running: wait for it, never interfere.
    Wait,
    /// The stack needs a person.
    Stuck(Stuck),
}

/// States a deploy cannot continue from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stuck {
    /// `UPDATE_ROLLBACK_FAILED`: continue the rollback first.
    UpdateRollbackFailed,
    /// `ROLLBACK_FAILED`, `DELETE_FAILED`, `CREATE_FAILED` and `IMPORT_ROLLBACK_FAILED`.
    Failed,
}

/// The next step for a stack whose status is `status`, or `None` for a stack that does
/// not exist.
pub(crate) fn next(status: Option<&str>) -> Next {
    let Some(status) = status else { return Next::Create };
    match status {
        "REVIEW_IN_PROGRESS" => Next::CreateInReview,
        "ROLLBACK_COMPLETE" => Next::DeleteAndRecreate,
        "DELETE_COMPLETE" => Next::Create,
        "UPDATE_ROLLBACK_FAILED" => Next::Stuck(Stuck::UpdateRollbackFailed),
        _ if status.ends_with("_IN_PROGRESS") => Next::Wait,
        _ if status.ends_with("_FAILED") => Next::Stuck(Stuck::Failed),
        // CREATE_COMPLETE, UPDATE_COMPLETE, UPDATE_ROLLBACK_COMPLETE, IMPORT_COMPLETE,
        // IMPORT_ROLLBACK_COMPLETE: the stack exists and is stable.
        _ => Next::Update,
    }
}

/// How a stack operation ended, judged from the stack status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Settled {
    /// Still running.
    Running,
    Succeeded,
    Failed,
}

/// Whether the operation that put the stack into `status` is over, and how it went.
/// `REVIEW_IN_PROGRESS` counts as settled: nothing runs on such a stack.
pub(crate) fn settled(status: &str) -> Settled {
    match status {
        "CREATE_COMPLETE" | "UPDATE_COMPLETE" | "IMPORT_COMPLETE" | "DELETE_COMPLETE" => Settled::Succeeded,
        "REVIEW_IN_PROGRESS" => Settled::Succeeded,
        // Cleanup after a successful update still holds the stack.
        _ if status.ends_with("_IN_PROGRESS") => Settled::Running,
        // ROLLBACK_COMPLETE, UPDATE_ROLLBACK_COMPLETE, IMPORT_ROLLBACK_COMPLETE and every
        // *_FAILED: the operation failed.
        _ => Settled::Failed,
    }
}

/// Whether a resource status is a failure worth reporting as the cause: a cancellation
/// caused by another resource's failure is not.
pub(crate) fn is_failure_cause(status: &str, reason: Option<&str>) -> bool {
    status.ends_with("_FAILED") && !reason.is_some_and(|r| r.contains("cancelled") || r.contains("canceled"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_step_for_each_status() {
        let cases = [
            (None, Next::Create),
            (Some("CREATE_COMPLETE"), Next::Update),
            (Some("UPDATE_COMPLETE"), Next::Update),
            (Some("UPDATE_ROLLBACK_COMPLETE"), Next::Update),
            (Some("IMPORT_COMPLETE"), Next::Update),
            (Some("REVIEW_IN_PROGRESS"), Next::CreateInReview),
            (Some("ROLLBACK_COMPLETE"), Next::DeleteAndRecreate),
            (Some("CREATE_IN_PROGRESS"), Next::Wait),
            (Some("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"), Next::Wait),
            (Some("UPDATE_ROLLBACK_IN_PROGRESS"), Next::Wait),
            (Some("DELETE_IN_PROGRESS"), Next::Wait),
            (Some("UPDATE_ROLLBACK_FAILED"), Next::Stuck(Stuck::UpdateRollbackFailed)),
            (Some("ROLLBACK_FAILED"), Next::Stuck(Stuck::Failed)),
            (Some("DELETE_FAILED"), Next::Stuck(Stuck::Failed)),
            (Some("CREATE_FAILED"), Next::Stuck(Stuck::Failed)),
        ];
        for (status, want) in cases {
            assert_eq!(next(status), want, "{status:?}");
        }
    }

    #[test]
    fn settled_for_each_status() {
        let cases = [
            ("CREATE_IN_PROGRESS", Settled::Running),
            ("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", Settled::Running),
            ("ROLLBACK_IN_PROGRESS", Settled::Running),
            ("CREATE_COMPLETE", Settled::Succeeded),
            ("UPDATE_COMPLETE", Settled::Succeeded),
            ("DELETE_COMPLETE", Settled::Succeeded),
            ("ROLLBACK_COMPLETE", Settled::Failed),
            ("UPDATE_ROLLBACK_COMPLETE", Settled::Failed),
            ("UPDATE_ROLLBACK_FAILED", Settled::Failed),
            ("DELETE_FAILED", Settled::Failed),
        ];
        for (status, want) in cases {
            assert_eq!(settled(status), want, "{status}");
        }
    }

    #[test]
    fn cancelled_resources_are_not_the_cause() {
        assert!(is_failure_cause("CREATE_FAILED", Some("Invalid parameter: QueueName")));
        assert!(!is_failure_cause("CREATE_FAILED", Some("Resource creation cancelled")));
        assert!(!is_failure_cause("CREATE_COMPLETE", None));
    }
}
