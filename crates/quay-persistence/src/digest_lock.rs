//! Per-digest exclusion between a blob's commits and its collection.
//!
//! A commit finds a blob's bytes in place (or puts them there) and then records the blob;
//! collection deletes the record and then the bytes. Interleaved, a commit could record a
//! blob whose bytes are about to go. Each holds the digest's lock across both steps, so
//! they run one after the other. On PostgreSQL the lock is a transaction-scoped advisory
//! lock (every replica sees it), held by a transaction the commit also writes its rows
//! in; on SQLite (one process) it is one of a fixed set of in-process mutexes.

use sea_orm::{DatabaseTransaction, DbBackend, TransactionTrait};
use tokio::sync::{Mutex, MutexGuard};

use crate::{db_err, execute, Database};
use quay_core::DomainResult;

const STRIPES: usize = 64;

pub(crate) struct DigestLocks(Vec<Mutex<()>>);

impl DigestLocks {
    pub(crate) fn new() -> Self {
        DigestLocks((0..STRIPES).map(|_| Mutex::new(())).collect())
    }
}

/// A stable 64-bit key of a digest (FNV-1a): the advisory lock's key, or its stripe.
pub(crate) fn key(digest: &str) -> u64 {
    digest.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Held digest locks; dropping the guard releases them.
pub(crate) enum DigestGuard<'a> {
    Local {
        _held: Vec<MutexGuard<'a, ()>>,
    },
    /// The transaction holding the advisory locks: commit or drop it to release them.
    Postgres(DatabaseTransaction),
}

impl Database {
    /// Locks every digest of `digests`, always in the same order (so two holders of
    /// several never wait on each other in a cycle).
    pub(crate) async fn lock_digests(&self, digests: &[&str]) -> DomainResult<DigestGuard<'_>> {
        let mut keys: Vec<u64> = digests.iter().map(|d| key(d)).collect();
        if self.backend() == DbBackend::Postgres {
            keys.sort_unstable();
            keys.dedup();
            let txn = self.conn.begin().await.map_err(db_err)?;
            // One statement, taking the locks in the order given.
            execute(
                self,
                &txn,
                &format!(
                    "SELECT pg_advisory_xact_lock(k) FROM (VALUES {}) AS v(k)",
                    vec!["(CAST(? AS BIGINT))"; keys.len()].join(", ")
                ),
                keys.iter().map(|k| (*k as i64).into()).collect(),
            )
            .await?;
            return Ok(DigestGuard::Postgres(txn));
        }
        let mut stripes: Vec<usize> = keys.iter().map(|k| (*k as usize) % STRIPES).collect();
        stripes.sort_unstable();
        stripes.dedup();
        let mut guards = Vec::with_capacity(stripes.len());
        for s in stripes {
            guards.push(self.digest_locks.0[s].lock().await);
        }
        Ok(DigestGuard::Local { _held: guards })
    }
}
