internal import CCurl
internal import CCurlShim

/// The driver thread's side: owns the multi handle and every easy handle, and is never shared
/// (it is created on the driver thread and dies there, so it needs no `Sendable`).
///
/// Loop: take the queued commands, `curl_multi_perform`, collect finished transfers with
/// `curl_multi_info_read`, then, unless more commands came in meanwhile, sleep in
/// `curl_multi_poll` until a socket is ready, curl's next timer is due, or `curl_multi_wakeup` is
/// called
/// (https://curl.se/libcurl/c/curl_multi_poll.html, https://curl.se/libcurl/c/libcurl-multi.html).
final class DriverLoop {
    private let driver: Driver
    private let configuration: CurlClientConfiguration
    private var multi: UnsafeMutableRawPointer { driver.multi.raw }
    /// Strong references to every transfer whose easy handle is in the multi handle: curl's
    /// callbacks and `CURLOPT_PRIVATE` point at these objects unretained.
    private var active: [ObjectIdentifier: ActiveTransfer] = [:]
    /// Easy handles of finished transfers, reset (`curl_easy_reset`: options back to their
    /// defaults, nothing of the last transfer's request left) for the next: a new handle costs
    /// curl's allocations and set-up again on every call. At most `maxIdleHandles`.
    private var idleHandles: [UnsafeMutableRawPointer] = []
    static let maxIdleHandles = 64
    private let pollTimeoutMilliseconds: Int32

    init(driver: Driver, configuration: CurlClientConfiguration) {
        self.driver = driver
        self.configuration = configuration
        self.pollTimeoutMilliseconds = Int32(clamping: configuration.pollTimeout.curlMilliseconds)
    }

    func run() {
        var failure: CurlError? = nil
        while failure == nil {
            let (commands, stopping) = driver.inbox.withLock { inbox in
                defer { inbox.commands.removeAll() }
                inbox.polling = false
                return (inbox.commands, inbox.stopping)
            }
            for command in commands { handle(command, stopping: stopping) }
            if stopping { break }
            do throws(CurlError) {
                try performAndCollect()
                // Sleep only when no command came in meanwhile; from here until it wakes, a new
                // command wakes it (`Driver.Inbox.polling`).
                let sleep = driver.inbox.withLock { inbox in
                    inbox.polling = inbox.commands.isEmpty && !inbox.stopping
                    return inbox.polling
                }
                if sleep { try check(curl_multi_poll(multi, nil, 0, pollTimeoutMilliseconds, nil), "curl_multi_poll") }
            } catch {
                failure = error
            }
        }
        if let failure { refuseFurtherWork(failure) }
        failAll(failure)
        // Every easy handle is removed and cleaned up; https://curl.se/libcurl/c/curl_multi_cleanup.html
        for easy in idleHandles { curl_easy_cleanup(easy) }
        idleHandles.removeAll()
        try? check(curl_multi_cleanup(multi), "curl_multi_cleanup")
    }

    private func handle(_ command: Driver.Command, stopping: Bool) {
        switch command {
        case .add(let transfer) where stopping:
            transfer.finish(.failure(.shutdown(requestSent: false)))
        case .add(let transfer):
            start(transfer)
        case .cancel(let transfer):
            guard let entry = active.removeValue(forKey: ObjectIdentifier(transfer)) else { return }
            finish(entry, with: .failure(.cancelled(requestSent: entry.requestSent)))
        }
    }

    private func start(_ transfer: Transfer) {
        if transfer.isCancelRequested {
            transfer.finish(.failure(.cancelled(requestSent: false)))
            return
        }
        guard let easy = idleHandles.popLast() ?? curl_easy_init() else {
            transfer.finish(.failure(CurlError(kind: .other, call: "curl_easy_init", message: "curl_easy_init returned NULL")))
            return
        }
        let entry = ActiveTransfer(transfer: transfer, easy: easy, configuration: configuration)
        do throws(CurlError) {
            try entry.configure(transfer.request, configuration)
            try check(curl_multi_add_handle(multi, easy), "curl_multi_add_handle")
            active[ObjectIdentifier(transfer)] = entry
        } catch {
            // Never added: nothing to remove. Cleaned up, not reused, while `entry` (whose
            // header list and error buffer it may point at) is still alive.
            giveBack(entry, reusable: false)
            transfer.finish(.failure(error))
        }
    }

    /// The handle of a transfer that is over, reset for the next or cleaned up, before `entry`
    /// (its header list and error buffer) goes.
    private func giveBack(_ entry: ActiveTransfer, reusable: Bool) {
        if reusable, idleHandles.count < Self.maxIdleHandles {
            curl_easy_reset(entry.easy)
            idleHandles.append(entry.easy)
        } else {
            curl_easy_cleanup(entry.easy)
        }
    }

    private func performAndCollect() throws(CurlError) {
        var running: Int32 = 0
        try check(curl_multi_perform(multi, &running), "curl_multi_perform")
        var queued: Int32 = 0
        while let message = curl_multi_info_read(multi, &queued) {
            // The message is invalid once its handle is removed: copy what we need first
            // (https://curl.se/libcurl/c/curl_multi_info_read.html).
            guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle else { continue }
            let code = message.pointee.data.result
            completed(easy, code)
        }
    }

    private func completed(_ easy: UnsafeMutableRawPointer, _ code: CURLcode) {
        guard let entry = ActiveTransfer.from(easy: easy),
            active.removeValue(forKey: ObjectIdentifier(entry.transfer)) != nil
        else { return }
        finish(entry, with: entry.result(code))
    }

    /// Removes the easy handle from the multi handle, gives it back, then resumes the awaiting
    /// task. `entry` goes when the caller's last reference goes, on this thread.
    private func finish(_ entry: ActiveTransfer, with result: Result<CurlResponse, CurlError>) {
        // A failed removal leaves the handle to curl_easy_cleanup, which detaches it from the multi
        // handle itself (https://curl.se/libcurl/c/curl_easy_cleanup.html); it is not reused.
        let removed = (try? check(curl_multi_remove_handle(multi, entry.easy), "curl_multi_remove_handle")) != nil
        giveBack(entry, reusable: removed)
        entry.transfer.finish(result)
    }

    private func failAll(_ failure: CurlError?) {
        let entries = active.values
        active.removeAll()
        for entry in entries {
            let requestSent = entry.requestSent
            let error =
                failure.map {
                    CurlError(kind: $0.kind, code: $0.code, call: $0.call, requestSent: requestSent, message: $0.message)
                } ?? .shutdown(requestSent: requestSent)
            finish(entry, with: .failure(error))
        }
    }

    /// The multi handle broke: stop accepting work and fail what is queued with the same error.
    private func refuseFurtherWork(_ failure: CurlError) {
        let commands = driver.inbox.withLock { inbox in
            inbox.stopping = true
            inbox.refusal = failure
            defer { inbox.commands.removeAll() }
            return inbox.commands
        }
        for case .add(let transfer) in commands { transfer.finish(.failure(failure)) }
    }
}
