import CancelgateFakes
import Foundation
import HummingbirdTesting
import Testing

@Suite struct FakesTmpTests {
    @Test func clientGoneEndsHang() async throws {
        let start = Date()
        try await FakesHarness.run(.live) { h in
            await h.state.seed(.kubiya, id: "00000000-0000-4000-8000-000000000001", status: "running")
            await h.state.setFault(.hang, for: .kubiya)
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
            p.arguments = ["-s", "--max-time", "1", "-X", "POST", "-H", "Authorization: Bearer \(h.credentials.kubiyaToken)",
                "-H", "Content-Type: application/json", "-d", #"{"execution_ids":["00000000-0000-4000-8000-000000000001"],"reason":"x"}"#,
                "http://localhost:\(h.client.port!)/kubiya/api/v1/executions/batch/terminate"]
            try p.run()
            p.waitUntilExit()
            print("curl exit", p.terminationStatus)
            await h.state.waitUntilHeld(1)
        }
        print("elapsed", Date().timeIntervalSince(start))
    }
}
