#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension FakeUpstreams {
    /// A routes.json document that points a gateway at these fakes listening on `port`, with the
    /// fakes' own credentials written in (C1 through the Ed25519 client-credentials flow). Used by
    /// `cancelgate demo`, `cancelgate fakes --write-routes`, the tests and the benchmarks, so all
    /// of them go through the real configuration loader.
    /// - Parameters:
    ///   - upstreamKeys: more keys for every upstream, as JSON members (`"confirm": true`).
    ///   - serverKeys: more keys for `server`, as JSON members (`"confirm_interval_ms": 50`).
    public func routesJSON(
        port: Int, gatewayPort: Int = 0, requestTimeoutMs: Int = 30_000, upstreamTimeoutMs: Int = 10_000, maxItems: Int = 1000,
        kubiyaMode: String = "batch", concurrency: Int? = nil, clients: [(name: String, token: String, upstreams: [String])] = [],
        upstreamKeys: String = "", serverKeys: String = ""
    ) -> String {
        let base = "http://127.0.0.1:\(port)"
        let extra = (concurrency.map { #", "concurrency": \#($0)"# } ?? "") + (upstreamKeys.isEmpty ? "" : ", " + upstreamKeys)
        let common = #""timeout_ms": \#(upstreamTimeoutMs)\#(extra)"#
        let serverExtra = serverKeys.isEmpty ? "" : ", " + serverKeys
        let clientList = clients.map { client in
            let upstreams = client.upstreams.map { "\"\($0)\"" }.joined(separator: ", ")
            return #"    { "name": "\#(client.name)", "token": "\#(client.token)", "upstreams": [\#(upstreams)] }"#
        }.joined(separator: ",\n")
        return #"""
            {
              "server": { "host": "127.0.0.1", "port": \#(gatewayPort), "max_items": \#(maxItems), "request_timeout_ms": \#(requestTimeoutMs)\#(serverExtra) },
              "upstreams": {
                "kubiya":  { "provider": "kubiya", "base_url": "\#(base)\#(Self.basePath(.kubiya))", "mode": "\#(kubiyaMode)",
                             "auth": { "type": "bearer", "token": "\#(credentials.kubiyaToken)" }, \#(common) },
                "skyvern": { "provider": "skyvern", "base_url": "\#(base)\#(Self.basePath(.skyvern))",
                             "auth": { "type": "header", "name": "x-api-key", "value": "\#(credentials.skyvernKey)" }, \#(common) },
                "meibel":  { "provider": "meibel", "base_url": "\#(base)\#(Self.basePath(.meibel))",
                             "auth": { "type": "header", "name": "Meibel-API-Key", "value": "\#(credentials.meibelKey)" }, \#(common) },
                "c1":      { "provider": "c1", "base_url": "\#(base)\#(Self.basePath(.c1))",
                             "auth": { "type": "oauth2_client_credentials", "token_url": "/auth/v1/token",
                                       "client_id": "\#(credentials.c1ClientID)", "client_secret": "\#(credentials.c1ClientSecret)" }, \#(common) }
              },
              "routes": [
                { "match": { "prefix": "tsk_" }, "upstream": "skyvern" },
                { "match": { "prefix": "wr_" },  "upstream": "skyvern" },
                { "match": { "prefix": "bex_" }, "upstream": "meibel" },
                { "match": { "regex": "^[0-9]{1,19}$" }, "upstream": "c1" },
                { "match": { "regex": "^[0-9a-fA-F-]{36}$" }, "upstream": "kubiya" }
              ],
              "clients": [
            \#(clientList)
              ]
            }
            """#
    }
}
