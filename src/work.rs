//! Bounded pools of threads for CPU-heavy work.

use std::sync::Arc;

use crate::error::AppError;

type Job = Box<dyn FnOnce() + Send>;

/// CPU-heavy work (password hashes, PDF sheets) on a few threads of its own, in arrival
/// order: a burst queues instead of time-slicing the cores, each piece finishes as fast as
/// it can, pages keep their share, and the memory such work needs (19 MiB per password
/// hash) stays with those few threads instead of spreading over the blocking pool.
#[derive(Clone)]
pub struct BoundedWork {
    jobs: std::sync::mpsc::Sender<Job>,
}

impl BoundedWork {
    pub fn new(name: &str, threads: usize) -> std::io::Result<Self> {
        let (jobs, queue) = std::sync::mpsc::channel::<Job>();
        let queue = Arc::new(std::sync::Mutex::new(queue));
        for n in 0..threads.max(1) {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("{name}-{n}"))
                .spawn(move || {
                    loop {
                        // Ends when the app (every sender) is gone.
                        let next = match queue.lock() {
                            Ok(queue) => queue.recv(),
                            Err(poisoned) => poisoned.into_inner().recv(),
                        };
                        let Ok(job) = next else { break };
                        job();
                    }
                })?;
        }
        Ok(Self { jobs })
    }

    /// One thread per core of this machine.
    pub fn per_core(name: &str) -> std::io::Result<Self> {
        Self::new(
            name,
            std::thread::available_parallelism().map_or(1, |n| n.get()),
        )
    }

    /// Queues work without waiting for it.
    pub fn start(&self, work: impl FnOnce() + Send + 'static) -> std::io::Result<()> {
        let job: Job = Box::new(move || {
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(work));
        });
        self.jobs
            .send(job)
            .map_err(|_| std::io::Error::other("bounded work stopped"))
    }

    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, AppError> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            // A panic stays inside this job; the thread goes on with the next one.
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(work));
            let _ = reply.send(outcome.ok());
        });
        self.jobs
            .send(job)
            .map_err(|_| AppError::Internal("bounded work stopped".into()))?;
        answer
            .await
            .ok()
            .flatten()
            .ok_or_else(|| AppError::Internal("bounded work failed".into()))
    }
}
