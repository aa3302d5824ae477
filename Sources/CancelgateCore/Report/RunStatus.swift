internal import CancelgateWire

/// What one status read says about one run (CONTRACT §7): an adapter's reading of the provider's
/// answer, or why there is none.
struct RunStatus: Sendable, Equatable {
    var state: RunState
    /// The provider's word, verbatim.
    var providerStatus: String?
    var endedAt: String?
    var httpStatus: Int?
    var retryable: Bool
    var error: ItemError?
    /// Times the read went out.
    var attempts: Int

    init(
        state: RunState, providerStatus: String? = nil, endedAt: String? = nil, httpStatus: Int? = nil, retryable: Bool = false,
        error: ItemError? = nil, attempts: Int = 1
    ) {
        self.state = state
        self.providerStatus = providerStatus
        self.endedAt = endedAt
        self.httpStatus = httpStatus
        self.retryable = retryable
        self.error = error
        self.attempts = attempts
    }

    /// A word read from the provider's answer, by the adapter's table; a word missing from the
    /// table is `unknown`, never guessed.
    static func read(_ word: String?, _ state: RunState?, endedAt: String? = nil, provider: String) -> RunStatus {
        guard let word, let state else {
            let message =
                word == nil
                ? "\(provider) answered without a status word."
                : "\(provider) answered a status word cancelgate does not know (see provider_status)."
            return RunStatus(state: .unknown, providerStatus: word, httpStatus: 200, error: ItemError(.unknownStatus, message))
        }
        return RunStatus(state: state, providerStatus: word, endedAt: state.isFinal ? endedAt : nil, httpStatus: 200)
    }

    /// A read that brought no status: the cancel tables' reading of the same answer (CommonAnswers)
    /// carried over: `not_found`, `forbidden` and `invalid` as they are, anything else `unknown`.
    init(failure resolution: Resolution) {
        let state: RunState =
            switch resolution.outcome {
            case .notFound: .notFound
            case .forbidden: .forbidden
            case .invalid: .invalid
            case .unroutable: .unroutable
            default: .unknown
            }
        self.init(
            state: state, httpStatus: resolution.httpStatus, retryable: state == .unknown && resolution.retryable, error: resolution.error,
            attempts: resolution.attempts)
    }

    func with(attempts: Int) -> RunStatus {
        var copy = self
        copy.attempts = attempts
        return copy
    }
}

/// Reading a status word: each adapter's table is a dictionary of lower-cased words.
enum StatusWords {
    /// The state of `word` in `table` (keys lower-case), compared case-insensitively when `folding`.
    static func state(of word: String?, in table: [String: RunState], folding: Bool = false) -> RunState? {
        guard let word else { return nil }
        return table[folding ? word.lowercased() : word]
    }
}
