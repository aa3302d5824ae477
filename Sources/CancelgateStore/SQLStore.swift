public import CancelgateCore
public import CancelgateWire
internal import Foundation

/// The `CancelStore` of both databases: the same SQL over SQLite or PostgreSQL.
///
/// Tables (see `Migrations`): `cancel_records` (one row per request, its summary as JSON),
/// `cancel_items` (one row per requested entry, its result as JSON, indexed by run ID for
/// "who cancelled this run?"), `idempotency_keys` (fingerprint, owner, lease, the report a
/// replay answers).
public final class SQLStore: CancelStore {
    /// Rows per multi-row INSERT: 6 parameters each stays under SQLite's 32,766.
    static let itemsPerInsert = 1000

    /// Records per multi-row statement of a group commit: 12 parameters each.
    static let recordsPerInsert = 500
    /// Writes per group commit, and item rows (finished records' results, started records'
    /// provisional ones) per group commit beyond its first write.
    static let maxBatch = 128
    static let maxBatchItems = 5_000

    let driver: any SQLDriver
    let writes: GroupCommit
    public var kind: String { driver.kind }

    init(driver: any SQLDriver) {
        self.driver = driver
        self.writes = GroupCommit(
            maxBatch: Self.maxBatch, maxWeight: Self.maxBatchItems, weight: Self.items,
            one: { write in try await Self.commit(write, driver) },
            batch: { writes in try await Self.commit(writes, driver) })
    }

    public func close() async { await driver.close() }

    // MARK: Keys

    public func claimKey(_ claim: KeyClaim) async throws -> IdempotencyBegin {
        let scope = SQLValue.text(claim.scope), key = SQLValue.text(claim.key)
        let inserted = try await driver.query(
            """
            INSERT INTO idempotency_keys (scope, idem_key, fingerprint, record_id, state, lease_until)
            VALUES ($1, $2, $3, $4, 'running', $5) ON CONFLICT (scope, idem_key) DO NOTHING RETURNING record_id
            """, [scope, key, .text(claim.fingerprint), .text(claim.recordID), .int(claim.leaseUntilMs)])
        if !inserted.isEmpty { return .proceed }
        let rows = try await driver.query(
            "SELECT fingerprint, state, lease_until, stored_at, report, record_id FROM idempotency_keys WHERE scope = $1 AND idem_key = $2",
            [scope, key])
        // Deleted in between (retention, or its request released it): claim it again.
        guard let row = rows.first else { return try await claimKey(claim) }
        let fingerprint = row[0].text ?? "", state = row[1].text ?? "", lease = row[2].int ?? 0, storedAt = row[3].int
        let expired = state == "finished" && (storedAt ?? 0) < claim.expiredBeforeMs
        if !expired && fingerprint != claim.fingerprint { return .mismatch }
        if state == "finished" && !expired, let report = row[4].text {
            return .replay(try Self.decode(CancelReport.self, report), storedAt: Date(timeIntervalSince1970: TimeInterval(storedAt ?? 0) / 1000))
        }
        if state == "running" && lease >= claim.nowMs { return .inProgress }
        // A finished key past retention, or a running one whose process died (lease over): take
        // it over, unless another replica just did (the row no longer reads as it did).
        let taken = try await driver.query(
            """
            UPDATE idempotency_keys SET fingerprint = $1, record_id = $2, state = 'running', lease_until = $3, stored_at = NULL, report = NULL
            WHERE scope = $4 AND idem_key = $5 AND record_id = $6 AND state = $7 RETURNING record_id
            """, [.text(claim.fingerprint), .text(claim.recordID), .int(claim.leaseUntilMs), scope, key, row[5], .text(state)])
        return taken.isEmpty ? .inProgress : .proceed
    }

    public func releaseKey(scope: String, key: String, recordID: String) async throws {
        _ = try await driver.query(
            "DELETE FROM idempotency_keys WHERE scope = $1 AND idem_key = $2 AND record_id = $3 AND state = 'running'",
            [.text(scope), .text(key), .text(recordID)])
    }

    // MARK: Records

    /// The running record carries its provisional results as JSON in `provisional` (no item
    /// rows yet), so the write before the first upstream call is a single insert. Item rows are
    /// written when the record completes or is interrupted. Both writes go through `writes`,
    /// the group commit of concurrent requests' writes.
    public func recordStarted(_ record: CancelRecord) async throws {
        try await writes.write(.started(record))
    }

    public func recordFinished(_ record: CancelRecord, completing key: KeyCompletion?) async throws {
        try await writes.write(.finished(record, key))
    }

    /// One write alone: a started record in one statement, a finished one as a batch of one.
    static func commit(_ write: GroupCommit.Write, _ driver: any SQLDriver) async throws {
        switch write {
        case .started(let record):
            _ = try await driver.query(insertRecord + startedConflict, recordBinds(record, provisional: record.results ?? []))
        case .finished:
            try await commit([write], driver)
        }
    }

    /// Several writes at once: the started records in multi-row inserts, then the finished ones
    /// in multi-row upserts with all their items, then their keys. On SQLite one transaction of
    /// those statements; on PostgreSQL one statement (data-modifying CTEs, atomic on its own), so
    /// a batch, or a request's completed record, costs one round trip instead of four or more.
    /// A start beside its record's finish is left out (the finish leaves what both would). A
    /// record finished twice in one batch (a retried write beside a slow first one) makes it
    /// throw before anything is written, so GroupCommit writes each alone, in order.
    static func commit(_ writes: [GroupCommit.Write], _ driver: any SQLDriver) async throws {
        var finishedIDs = Set<String>()
        var finished: [[SQLValue]] = [], items: [(String, [ItemResult])] = [], keys: [[SQLValue]] = []
        for case .finished(let record, let key) in writes {
            guard finishedIDs.insert(record.recordID).inserted else { throw RepeatedRecord() }
            finished.append(recordBinds(record, provisional: nil))
            items.append((record.recordID, record.results ?? []))
            if let key { keys.append(keyCompletionBinds(key, record)) }
        }
        var startedIDs = finishedIDs
        var started: [[SQLValue]] = []
        for case .started(let record) in writes where startedIDs.insert(record.recordID).inserted {
            started.append(recordBinds(record, provisional: record.results ?? []))
        }
        if driver.kind == "postgres", let (sql, binds) = oneStatement(started: started, finished: finished, items: items, keys: keys) {
            _ = try await driver.query(sql, binds)
            return
        }
        try await driver.transaction { [started, finished, items, keys] executor in
            try await insertRecords(started, conflict: startedConflict, executor)
            try await insertRecords(finished, conflict: finishedConflict, executor)
            try await upsertItems(items, executor)
            for binds in keys { _ = try await executor.query(completeKey, binds) }
        }
    }

    /// PostgreSQL takes at most 65,535 parameters per statement.
    static let maxStatementBinds = 60_000

    /// A batch as one PostgreSQL statement. The finished records' upsert is the statement
    /// itself and runs first, so it locks a record's row before its item rows, in the order of
    /// `interruptRunning` and of the transaction this replaces (PostgreSQL runs data-modifying
    /// CTEs that nothing reads after the main statement; the other order could deadlock with
    /// another replica interrupting a record whose request outlived its lease). Started records,
    /// item rows and key completions are CTEs. Nil when it would need more than
    /// `maxStatementBinds` parameters.
    static func oneStatement(
        started: [[SQLValue]], finished: [[SQLValue]], items: [(String, [ItemResult])], keys: [[SQLValue]]
    ) -> (String, [SQLValue])? {
        let itemRows = items.reduce(0) { $0 + $1.1.count }
        guard (started.count + finished.count) * 12 + itemRows * 6 + keys.count * 5 <= maxStatementBinds else { return nil }
        guard !finished.isEmpty else {
            // Nothing but starts: no items or keys come without a finish.
            guard !started.isEmpty else { return nil }
            return (recordInsert(placeholders(rows: started.count, columns: 12)) + startedConflict, Array(started.joined()))
        }
        var binds: [SQLValue] = []
        func values(_ rows: [[SQLValue]], columns: Int) -> String {
            let text = placeholders(rows: rows.count, columns: columns, after: binds.count)
            for row in rows { binds += row }
            return text
        }
        var ctes: [String] = []
        if !started.isEmpty {
            ctes.append("s AS (\(recordInsert(values(started, columns: 12)))\(startedConflict) RETURNING 1)")
        }
        var rows: [[SQLValue]] = []
        rows.reserveCapacity(itemRows)
        for (recordID, results) in items {
            for result in results { rows.append(itemBinds(recordID, result)) }
        }
        if !rows.isEmpty {
            ctes.append("i AS (\(itemInsert(values(rows, columns: 6))) RETURNING 1)")
        }
        if !keys.isEmpty {
            ctes.append(
                "k AS (UPDATE idempotency_keys SET state = 'finished', stored_at = v.column1, report = v.column2 FROM (VALUES "
                    + values(keys, columns: 5)
                    + ") AS v WHERE idempotency_keys.scope = v.column3 AND idempotency_keys.idem_key = v.column4"
                    + " AND idempotency_keys.record_id = v.column5 AND idempotency_keys.state = 'running' RETURNING 1)")
        }
        let main = recordInsert(values(finished, columns: 12)) + finishedConflict
        return ((ctes.isEmpty ? "" : "WITH " + ctes.joined(separator: ", ") + " ") + main, binds)
    }

    /// `INSERT INTO cancel_records (…) VALUES ` + `values`.
    static func recordInsert(_ values: String) -> String {
        "INSERT INTO cancel_records (\(recordColumns)) VALUES " + values
    }

    struct RepeatedRecord: Error {}

    static func items(_ write: GroupCommit.Write) -> Int {
        switch write {
        case .started(let record), .finished(let record, _): max(1, record.results?.count ?? 0)
        }
    }

    /// Rows of `recordBinds`, in multi-row statements.
    static func insertRecords(_ rows: [[SQLValue]], conflict: String, _ executor: any SQLExecutor) async throws {
        var start = 0
        while start < rows.count {
            let chunk = rows[start..<min(start + recordsPerInsert, rows.count)]
            _ = try await executor.query(
                recordInsert(placeholders(rows: chunk.count, columns: 12)) + conflict,
                Array(chunk.joined()))
            start += chunk.count
        }
    }

    /// A retried start changes nothing; a finish completes the record whether its start landed
    /// or not.
    static let startedConflict = " ON CONFLICT (record_id) DO NOTHING"
    static let finishedConflict = """
         ON CONFLICT (record_id) DO UPDATE SET finished_at = excluded.finished_at, state = excluded.state,
        summary = excluded.summary, lease_until = excluded.lease_until, provisional = NULL
        """
    static let completeKey = """
        UPDATE idempotency_keys SET state = 'finished', stored_at = $1, report = $2
        WHERE scope = $3 AND idem_key = $4 AND record_id = $5 AND state = 'running'
        """

    static func keyCompletionBinds(_ key: KeyCompletion, _ record: CancelRecord) -> [SQLValue] {
        [.int(record.finishedAtMs ?? RecordTime.nowMs()), .text(json(ReportJSON.encode(key.report))), .text(key.scope), .text(key.key), .text(key.recordID)]
    }

    static let recordColumns =
        "record_id, request_id, caller, received_at, finished_at, state, reason, dry_run, idempotency_key, summary, lease_until, provisional"
    static let insertRecord = recordInsert(placeholders(rows: 1, columns: 12))

    static func recordBinds(_ record: CancelRecord, provisional: [ItemResult]?) -> [SQLValue] {
        [
            .text(record.recordID), .text(record.requestID), SQLValue(record.caller), .int(record.receivedAtMs), SQLValue(record.finishedAtMs),
            .text(record.state.rawValue), .text(record.reason), SQLValue(record.dryRun), SQLValue(record.idempotencyKey),
            .text(json(ReportJSON.encode(record.summary))), .int(record.leaseUntilMs), SQLValue(provisional.map { json(ReportJSON.encode($0)) }),
        ]
    }

    /// `($1, …, $columns), ($columns+1, …), …` for `rows` rows, numbered from `after + 1`: the
    /// VALUES list of a multi-row statement whose binds come in row order.
    static func placeholders(rows: Int, columns: Int, after offset: Int = 0) -> String {
        var text = ""
        text.reserveCapacity(rows * columns * 7)
        for row in 0..<rows {
            text += row == 0 ? "(" : ", ("
            for column in 0..<columns {
                if column > 0 { text += ", " }
                text += "$\(offset + row * columns + column + 1)"
            }
            text += ")"
        }
        return text
    }

    /// Item rows of records, in multi-row statements; a retried write rewrites the same rows.
    static func upsertItems(_ records: [(recordID: String, results: [ItemResult])], _ executor: any SQLExecutor) async throws {
        var binds: [SQLValue] = []
        var rows = 0
        func flush() async throws {
            guard rows > 0 else { return }
            _ = try await executor.query(itemInsert(placeholders(rows: rows, columns: 6)), binds)
            binds.removeAll(keepingCapacity: true)
            rows = 0
        }
        for (recordID, results) in records {
            for result in results {
                binds += itemBinds(recordID, result)
                rows += 1
                if rows == itemsPerInsert { try await flush() }
            }
        }
        try await flush()
    }

    static func itemBinds(_ recordID: String, _ result: ItemResult) -> [SQLValue] {
        [
            .text(recordID), .int(Int64(result.index)), .text(result.id), SQLValue(result.upstream), .text(result.outcome.rawValue),
            .text(json(ReportJSON.encode(result))),
        ]
    }

    /// The upsert of item rows whose VALUES list is `values`.
    static func itemInsert(_ values: String) -> String {
        "INSERT INTO cancel_items (record_id, idx, run_id, upstream, outcome, result) VALUES " + values
            + " ON CONFLICT (record_id, idx) DO UPDATE SET run_id = excluded.run_id, upstream = excluded.upstream,"
            + " outcome = excluded.outcome, result = excluded.result"
    }

    public func record(requestID: String) async throws -> CancelRecord? {
        let rows = try await driver.query(
            "SELECT \(Self.recordColumns) FROM cancel_records WHERE request_id = $1 ORDER BY received_at DESC, record_id DESC LIMIT 1",
            [.text(requestID)])
        guard let row = rows.first else { return nil }
        var record = try Self.record(row)
        if record.results == nil {
            let items = try await driver.query("SELECT result FROM cancel_items WHERE record_id = $1 ORDER BY idx", [.text(record.recordID)])
            record.results = try items.map { try Self.decode(ItemResult.self, $0[0].text ?? "") }
        }
        return record
    }

    /// Running records have no item rows: the item filters then read their provisional results.
    public func records(_ query: RecordQuery) async throws -> RecordPage {
        var conditions: [String] = []
        var binds: [SQLValue] = []
        func bind(_ value: SQLValue) -> String {
            binds.append(value)
            return "$\(binds.count)"
        }
        if case .caller(let name) = query.visibility { conditions.append("r.caller = \(bind(.text(name)))") }
        if let caller = query.caller { conditions.append("r.caller = \(bind(.text(caller)))") }
        if let since = query.sinceMs { conditions.append("r.received_at >= \(bind(.int(since)))") }
        if let until = query.untilMs { conditions.append("r.received_at <= \(bind(.int(until)))") }
        if let after = query.after {
            let at = bind(.int(after.receivedAtMs))
            let id = bind(.text(after.recordID))
            conditions.append("(r.received_at < \(at) OR (r.received_at = \(at) AND r.record_id < \(id)))")
        }
        var itemConditions: [String] = []
        if let runID = query.runID { itemConditions.append("i.run_id = \(bind(.text(runID)))") }
        if let upstream = query.upstream { itemConditions.append("i.upstream = \(bind(.text(upstream)))") }
        if let outcome = query.outcome { itemConditions.append("i.outcome = \(bind(.text(outcome.rawValue)))") }
        let filtersItems = !itemConditions.isEmpty
        if filtersItems {
            conditions.append(
                "(r.provisional IS NOT NULL OR EXISTS (SELECT 1 FROM cancel_items i WHERE i.record_id = r.record_id AND "
                    + itemConditions.joined(separator: " AND ") + "))")
        }
        let columns = Self.recordColumns.split(separator: ",").map { "r." + $0.trimmingCharacters(in: .whitespaces) }.joined(separator: ", ")
        let where_ = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
        // Running records pass the SQL filter whatever their items; those that do not match are
        // dropped below, so a page may need more than one read to fill.
        var records: [CancelRecord] = []
        var after: (Int64, String)?
        var more = false
        while true {
            var pageBinds = binds
            var pageWhere = where_
            if let after {
                pageBinds += [.int(after.0), .text(after.1)]
                let at = "$\(pageBinds.count - 1)", id = "$\(pageBinds.count)"
                pageWhere += (pageWhere.isEmpty ? " WHERE " : " AND ") + "(r.received_at < \(at) OR (r.received_at = \(at) AND r.record_id < \(id)))"
            }
            pageBinds.append(.int(Int64(query.limit + 1)))
            let rows = try await driver.query(
                "SELECT \(columns) FROM cancel_records r\(pageWhere) ORDER BY r.received_at DESC, r.record_id DESC LIMIT $\(pageBinds.count)", pageBinds)
            for row in rows {
                var record = try Self.record(row)
                after = (record.receivedAtMs, record.recordID)
                if let provisional = record.results {
                    guard !filtersItems || provisional.contains(where: query.matches) else { continue }
                    record.results = query.carriesResults ? provisional.filter(query.matches) : nil
                }
                if records.count == query.limit {
                    more = true
                    break
                }
                records.append(record)
            }
            if more || rows.count <= query.limit { break }
        }
        if query.carriesResults {
            for index in records.indices where records[index].results == nil {
                var itemBinds: [SQLValue] = [.text(records[index].recordID)]
                var filters: [String] = []
                for (column, value) in [("run_id", query.runID), ("upstream", query.upstream), ("outcome", query.outcome?.rawValue)] {
                    guard let value else { continue }
                    itemBinds.append(.text(value))
                    filters.append("\(column) = $\(itemBinds.count)")
                }
                let items = try await driver.query(
                    "SELECT result FROM cancel_items WHERE record_id = $1 AND \(filters.joined(separator: " AND ")) ORDER BY idx", itemBinds)
                records[index].results = try items.map { try Self.decode(ItemResult.self, $0[0].text ?? "") }
            }
        }
        return RecordPage(records: records, next: more ? records.last.map(RecordCursor.init(after:)) : nil)
    }

    /// `results` are the provisional ones of a running record, nil otherwise (they are in items).
    static func record(_ row: [SQLValue]) throws -> CancelRecord {
        guard row.count == 12, let recordID = row[0].text, let requestID = row[1].text, let receivedAt = row[3].int, let state = row[5].text,
            let reason = row[6].text, let summary = row[9].text
        else { throw StoreQueryError(description: "a cancel_records row is not in the expected shape") }
        return CancelRecord(
            recordID: recordID, requestID: requestID, caller: row[2].text, receivedAtMs: receivedAt, finishedAtMs: row[4].int,
            state: RecordState(rawValue: state), reason: reason, dryRun: (row[7].int ?? 0) != 0, idempotencyKey: row[8].text,
            summary: try decode(Summary.self, summary), results: try row[11].text.map { try decode([ItemResult].self, $0) },
            leaseUntilMs: row[10].int ?? 0)
    }

    // MARK: Maintenance

    public func interruptRunning(leaseEndedBeforeMs beforeMs: Int64, nowMs: Int64) async throws -> [String] {
        // Their provisional results (`failed`, `interrupted` for every item that was to be sent)
        // become their item rows; the guard on `state` makes a second replica's pass a no-op.
        let rows = try await driver.query(
            "SELECT record_id, request_id, provisional FROM cancel_records WHERE state = 'running' AND lease_until < $1 ORDER BY received_at",
            [.int(beforeMs)])
        var interrupted: [String] = []
        for row in rows {
            guard let recordID = row[0].text, let requestID = row[1].text else { continue }
            let provisional = try row[2].text.map { try Self.decode([ItemResult].self, $0) } ?? []
            let marked = try await driver.transaction { executor in
                let updated = try await executor.query(
                    """
                    UPDATE cancel_records SET state = 'interrupted', finished_at = $1, provisional = NULL
                    WHERE record_id = $2 AND state = 'running' RETURNING record_id
                    """, [.int(nowMs), .text(recordID)])
                guard !updated.isEmpty else { return false }
                try await Self.upsertItems([(recordID, provisional)], executor)
                return true
            }
            if marked { interrupted.append(requestID) }
        }
        return interrupted
    }

    public func deleteExpired(beforeMs: Int64) async throws -> Int {
        try await driver.transaction { executor in
            let expired = "SELECT record_id FROM cancel_records WHERE state <> 'running' AND COALESCE(finished_at, received_at) < $1"
            _ = try await executor.query("DELETE FROM cancel_items WHERE record_id IN (\(expired))", [.int(beforeMs)])
            let gone = try await executor.query("DELETE FROM cancel_records WHERE record_id IN (\(expired)) RETURNING record_id", [.int(beforeMs)])
            _ = try await executor.query(
                "DELETE FROM idempotency_keys WHERE (state = 'finished' AND stored_at < $1) OR (state = 'running' AND lease_until < $1)",
                [.int(beforeMs)])
            // Finished jobs too, with their items (CONTRACT §6 keeps them as long as records).
            let finishedJobs = "SELECT job_id FROM jobs WHERE state IN ('completed', 'cancelled') AND finished_at < $1"
            _ = try await executor.query("DELETE FROM job_items WHERE job_id IN (\(finishedJobs))", [.int(beforeMs)])
            _ = try await executor.query("DELETE FROM jobs WHERE job_id IN (\(finishedJobs))", [.int(beforeMs)])
            return gone.count
        }
    }

    /// Frees the keys of requests that were running: only when the store is this process's
    /// alone (SQLite), so a key whose process died is free at once, not after its lease.
    func freeRunningKeys() async throws {
        _ = try await driver.query("UPDATE idempotency_keys SET lease_until = 0 WHERE state = 'running'", [])
        // Jobs too: their runner was this file's last process, so it is dead. The job is taken
        // over at once (its chunk in flight, if any, is kept: those items are in doubt).
        _ = try await driver.query("UPDATE jobs SET lease_until = 0 WHERE state = 'running'", [])
    }

    /// Applies the schema's missing steps (see `Migrations`).
    func migrate() async throws -> [Int64] {
        try await Migrations.apply(driver, nowMs: RecordTime.nowMs())
    }

    // MARK: JSON

    /// Our own types' JSON is written by `ReportJSON` (the same bytes as `makeEncoder`'s, checked by
    /// ReportJSONTests); Foundation's encoder cost a tenth of a single-ID cancel on SQLite.
    static func json(_ bytes: [UInt8]) -> String {
        String(decoding: bytes, as: UTF8.self)
    }

    static func encode(_ value: some Encodable) throws -> String {
        String(decoding: try makeEncoder().encode(value), as: UTF8.self)
    }

    static func makeEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    static func decode<T: Decodable>(_ type: T.Type, _ text: String) throws -> T {
        try JSONDecoder().decode(type, from: Data(text.utf8))
    }
}
