//! Memory-hungry CPU work (photo decoding, argon2) on the blocking pool,
//! under a process-wide bound: requests beyond it wait their turn instead of
//! adding their memory up, and after a stated wait get 503 `SERVER_BUSY`.

use crate::codes;
use std::time::Duration;

use tokio::sync::Semaphore;

use crate::ApiError;

/// One kind of bounded work: how many may run at once, and how long a
/// request waits for a turn.
pub struct Bound {
    slots: Semaphore,
    wait: Duration,
    busy: &'static str,
}

impl Bound {
    /// `busy` is the Chinese message of the 503 after `wait`.
    pub const fn new(slots: usize, wait: Duration, busy: &'static str) -> Bound {
        Bound {
            slots: Semaphore::const_new(slots),
            wait,
            busy,
        }
    }

    /// Runs `work` on the blocking pool once a slot is free; the slot is
    /// held until `work` returns.
    pub async fn run<T: Send + 'static>(
        &'static self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, ApiError> {
        let permit = tokio::time::timeout(self.wait, self.slots.acquire())
            .await
            .map_err(|_| ApiError::unavailable(codes::SERVER_BUSY, self.busy))?
            .map_err(ApiError::internal)?;
        tokio::task::spawn_blocking(move || {
            let out = work();
            drop(permit);
            out
        })
        .await
        .map_err(ApiError::internal)
    }
}
