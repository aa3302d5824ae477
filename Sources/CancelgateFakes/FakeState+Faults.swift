// Fault rules: installing them, choosing the one a call gets, and counting what was injected.
extension FakeState {
    // MARK: Installing

    /// nil `ids`: every cancel call of that provider, replacing all of its rules (a nil fault then clears them);
    /// otherwise calls naming any of those IDs (exactly as named in the call), replacing what earlier rules said
    /// about those IDs. Unlimited and certain; `addFaultRule` adds limited or random ones.
    public func setFault(_ fault: FakeFault?, for provider: FakeProvider, ids: Set<String>? = nil) {
        guard let ids else {
            rules[provider] = fault.map { [FaultRule($0)] }
            return
        }
        var kept = (rules[provider] ?? []).compactMap { rule -> FaultRule? in
            guard let ruleIDs = rule.ids else { return rule }
            var narrowed = rule
            narrowed.ids = ruleIDs.subtracting(ids)
            return narrowed.ids!.isEmpty ? nil : narrowed
        }
        if let fault { kept.append(FaultRule(fault, ids: ids)) }
        rules[provider] = kept.isEmpty ? nil : kept
    }

    /// Adds a rule after the provider's existing ones (see `FaultRule` for how a call's rule is chosen).
    public func addFaultRule(_ rule: FaultRule, for provider: FakeProvider) {
        rules[provider, default: []].append(rule)
    }

    /// Removes the rules of one provider, or of all; returns how many were removed. Injected counts stay.
    @discardableResult
    public func clearFaults(for provider: FakeProvider? = nil) -> Int {
        guard let provider else {
            defer { rules = [:] }
            return rules.values.reduce(0) { $0 + $1.count }
        }
        defer { rules[provider] = nil }
        return rules[provider]?.count ?? 0
    }

    /// Restarts the generator that decides fault probabilities.
    public func setSeed(_ seed: UInt64) {
        faultSeed = seed
        random = SeededGenerator(seed: seed)
    }

    // MARK: Inspecting

    /// The rules in place, with what is left of their `times`.
    public func faultRules() -> [FakeProvider: [FaultRule]] {
        rules
    }

    /// Calls a fault was actually applied to, per provider (a rule that lost its draw does not count).
    public func faultsInjected() -> [FakeProvider: Int] {
        injected
    }

    // MARK: Used by the routes

    /// The fault this cancel call gets, if any, counting it and using up one of its rule's `times`.
    func takeFault(for provider: FakeProvider, ids callIDs: [String]) -> FakeFault? {
        guard let providerRules = rules[provider], !providerRules.isEmpty else { return nil }
        for index in Self.candidates(providerRules, callIDs) {
            let rule = providerRules[index]
            // Only a real chance draws, so certain rules leave the sequence of decisions alone.
            if rule.probability < 1, !(random.nextUnit() < rule.probability) { continue }
            use(provider, ruleAt: index)
            return rule.fault
        }
        return nil
    }

    /// Indexes of the rules matching a call, in the order they are tried: rules naming the call's IDs (in the
    /// call's ID order, then rule order), then provider-wide rules in the order added.
    private static func candidates(_ rules: [FaultRule], _ callIDs: [String]) -> [Int] {
        var order: [Int] = []
        var seen = Set<Int>()
        for id in callIDs {
            for (index, rule) in rules.enumerated() where rule.ids?.contains(id) == true && seen.insert(index).inserted {
                order.append(index)
            }
        }
        return order + rules.indices.filter { rules[$0].ids == nil }
    }

    private func use(_ provider: FakeProvider, ruleAt index: Int) {
        injected[provider, default: 0] += 1
        guard let left = rules[provider]?[index].times else { return }
        if left <= 1 {
            rules[provider]?.remove(at: index)
            if rules[provider]?.isEmpty == true { rules[provider] = nil }
        } else {
            rules[provider]?[index].times = left - 1
        }
    }
}
