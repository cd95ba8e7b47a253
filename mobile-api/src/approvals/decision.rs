//! What an approver decides on a task: the kinds of decision and a decision
//! as checked from a request. The engine (`flow`) carries them out; the
//! trail (`trail`) holds that a decision is its approver's own signature.

use uuid::Uuid;

shared::text_enum! {
    /// What an approver does with a task.
    pub enum DecisionKind {
        Approve = "approve",
        Reject = "reject",
        /// 退回补正: the applicant supplements the listed materials or fields.
        Return = "return",
        /// 回退 to an earlier review step.
        SendBack = "send_back",
        /// 转办 to a colleague holding the grant.
        Transfer = "transfer",
    }
}

/// A decision as the approver sends it, checked.
#[derive(Debug, Clone)]
pub struct Decision {
    pub kind: DecisionKind,
    pub opinion: Option<String>,
    /// `return`: what the applicant must supplement (material or field codes).
    pub supplement: Vec<String>,
    /// `send_back`: the step to go back to.
    pub to_step: Option<String>,
    /// `transfer`: the colleague who takes the task.
    pub to_user: Option<Uuid>,
}
