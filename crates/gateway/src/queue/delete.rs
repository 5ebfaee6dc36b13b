//! Deleting a queued message (`scanrelay queue delete`, the console's Delete button).

use scanrelay_spool::{MessageId, Spool, SpoolError};

/// Removes `id` from the spool: it is not delivered and no failure notice is sent. A message
/// being sent at that moment may still reach the upstream; the attempt's outcome is then
/// not recorded (the scheduler logs that the message left the spool during delivery).
pub async fn delete(spool: &Spool, id: &MessageId) -> Result<(), SpoolError> {
    spool.remove(id).await
}
