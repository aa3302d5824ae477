internal import CCurl

/// The process's HTTP client: one curl multi handle driven by one thread, shared by every caller.
///
/// Connections (and HTTP/2 streams) are reused across transfers through the shared multi handle.
/// Every `execute` honours task cancellation: the easy handle is removed and the call throws
/// ``CurlError/Kind/cancelled``.
public final class CurlClient: Sendable {
    private let driver: Driver

    /// Starts the driver thread.
    public init(configuration: CurlClientConfiguration = .init()) throws(CurlError) {
        try check(CurlGlobal.initialization, "curl_global_init")
        self.driver = try Driver.start(configuration)
    }

    deinit {
        driver.shutdown()
    }

    /// Sends `request` and returns the response, whatever its status.
    public func execute(_ request: CurlRequest) async throws(CurlError) -> CurlResponse {
        let transfer = Transfer(request: request)
        let driver = self.driver
        let result = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                if transfer.register(continuation) { driver.submit(transfer) }
            }
        } onCancel: {
            if transfer.requestCancel() { driver.cancel(transfer) }
        }
        return try result.get()
    }

    /// Fails queued and in-flight transfers with ``CurlError/Kind/shutdown``, as well as every later
    /// call, and joins the driver thread. Idempotent; `deinit` does the same.
    public func shutdown() {
        driver.shutdown()
    }

    /// `shutdown()` for async callers: the wait for the driver thread (which can last as long as
    /// curl takes to abandon its transfers) runs on a thread of its own, never on one of Swift's
    /// few cooperative threads.
    public func shutdown() async {
        let driver = self.driver
        await BlockingWork.run { driver.shutdown() }
    }
}

/// `curl_global_init` must run once before any other curl call and is not thread-safe in every
/// build (https://curl.se/libcurl/c/curl_global_init.html); a `static let` runs it exactly once.
/// `curl_global_cleanup` is never called: the process may hold several clients over its life.
enum CurlGlobal {
    static let initialization: CURLcode = curl_global_init(Int(CURL_GLOBAL_DEFAULT))
}
