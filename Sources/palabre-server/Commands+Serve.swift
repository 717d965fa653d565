import ArgumentParser
import Foundation
import Logging
import PalabreCore
import PalabreServer
import PalabreStore

extension PalabreServerCommand {
    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the service until SIGTERM or SIGINT (requests in flight finish; a push is applied whole or not at all).",
            discussion: """
                Settings by option, else environment ($PALABRE_DATABASE, $PALABRE_HOST, $PALABRE_PORT, $PALABRE_FORMS, \
                $PALABRE_MAX_CLOCK_AHEAD, $PALABRE_LOG_LEVEL, $PALABRE_SMALL_CELLS, $PALABRE_PSEUDONYM_KEY_FILE, \
                $PALABRE_RETENTION_SWEEP_MINUTES), else the default. The database is created when absent. \
                With --demo, a fresh database gets project 'demo' holding the sample data set and three enrolled devices, \
                and the commands to try are printed.

                Example: palabre-server serve --database /var/lib/palabre/central.sqlite --host 0.0.0.0 --port 8080
                Example: palabre-server serve --database postgres://palabre:SECRET@db.example:5432/palabre --max-connections 16
                Example: palabre-server serve --demo --database /tmp/palabre-demo.sqlite
                """
        )
        @OptionGroup var options: DatabaseOptions
        @Option(help: "The address to listen on (default: $PALABRE_HOST, or 127.0.0.1).") var host: String?
        @Option(help: "The port; 0 picks a free one (default: $PALABRE_PORT, or 8080).") var port: String?
        @Option(help: "A folder of form definitions new projects start with, instead of the built-in forms (default: $PALABRE_FORMS).")
        var forms: String?
        @Option(
            name: .customLong("max-clock-ahead"),
            help: "How many minutes ahead of the service's clock a change may be stamped (default: $PALABRE_MAX_CLOCK_AHEAD, or 10).")
        var maxClockAhead: String?
        @Option(name: .customLong("max-body-mb"), help: "The largest request body, in MiB once decompressed (default 64).") var maxBodyMB = 64
        @Option(
            name: .customLong("small-cells"),
            help:
                "Analysts see no count of fewer people than this in indicators and the dashboard; 1 shows all (default: $PALABRE_SMALL_CELLS, or 5).")
        var smallCells: String?
        @Option(
            name: .customLong("log-level"),
            help: "trace, debug, info, notice, warning, error or critical (default: $PALABRE_LOG_LEVEL, or info).")
        var logLevel: String?
        @Option(
            name: .customLong("max-connections"),
            help: "With PostgreSQL: the size of each of this instance's two connection pools, writes and reads (default 16).")
        var maxConnections = 16
        @Option(
            name: .customLong("pseudonym-key-file"),
            help: ArgumentHelp(
                "Keep the secret behind analysts' pseudonyms in this file (0600, made when absent; a secret in the database moves to it) instead of the database, so a backup or copy of the database cannot link pseudonyms to names (default: $PALABRE_PSEUDONYM_KEY_FILE, else in the database).",
                valueName: "file"))
        var pseudonymKeyFile: String?
        @Option(
            name: .customLong("retention-sweep-minutes"),
            help: ArgumentHelp(
                "How often the service erases identifying values whose project's retention period is over (see 'palabre-server project retention'), after a sweep at start; 0: only by 'palabre-server erase --expired' (default: $PALABRE_RETENTION_SWEEP_MINUTES, or 60).",
                valueName: "minutes"))
        var retentionSweepMinutes: String?
        @Option(
            name: .customLong("metrics-token-file"),
            help: ArgumentHelp(
                "Serve GET /metrics (Prometheus) to a scraper sending 'Authorization: Bearer TOKEN', TOKEN being this file's first line (default: $PALABRE_METRICS_TOKEN holds the token itself; neither: no /metrics).",
                valueName: "file"))
        var metricsTokenFile: String?
        @Flag(help: "Prepare a demonstration on this database (idempotent), then serve.") var demo = false
        @Option(help: "The demo's data set (default: samples/demo.jsonl of the checkout).") var samples: String?

        /// A setting from its option, else the environment, else the default.
        private func setting(_ option: String?, _ variable: String, _ fallback: String) -> (value: String, source: String) {
            if let option { return (option, "--" + variable.dropFirst("PALABRE_".count).lowercased().replacingOccurrences(of: "_", with: "-")) }
            if let value = environment(variable) { return (value, "$" + variable) }
            return (fallback, "default")
        }

        struct Settings {
            var host: String
            var port: Int
            var maxClockAheadMinutes: Int
            var level: Logger.Level
            var smallCells = 5
            var retentionSweepMinutes = 60
        }

        func settings() throws -> Settings {
            let host = setting(self.host, "PALABRE_HOST", "127.0.0.1")
            guard !host.value.isEmpty, !host.value.contains(where: \.isWhitespace) else {
                throw ValidationError("\(host.source): '\(host.value)' is not a host name or address")
            }
            let port = setting(self.port, "PALABRE_PORT", "8080")
            guard let p = Int(port.value), (0...65535).contains(p) else {
                throw ValidationError("\(port.source): '\(port.value)' is not a port (a whole number from 0 to 65535)")
            }
            let ahead = setting(maxClockAhead, "PALABRE_MAX_CLOCK_AHEAD", "10")
            guard let minutes = Int(ahead.value), (0...10_080).contains(minutes) else {
                throw ValidationError("\(ahead.source): '\(ahead.value)' is not a number of minutes from 0 to 10080")
            }
            let level = setting(logLevel, "PALABRE_LOG_LEVEL", "info")
            guard let l = Logger.Level(rawValue: level.value.lowercased()) else {
                throw ValidationError("\(level.source): '\(level.value)' is not one of trace, debug, info, notice, warning, error, critical")
            }
            let small = setting(smallCells, "PALABRE_SMALL_CELLS", "5")
            guard let k = Int(small.value), (1...1000).contains(k) else {
                throw ValidationError("\(small.source): '\(small.value)' is not a number of people from 1 to 1000")
            }
            let sweep = setting(retentionSweepMinutes, "PALABRE_RETENTION_SWEEP_MINUTES", "60")
            guard let every = Int(sweep.value), (0...10_080).contains(every) else {
                throw ValidationError("\(sweep.source): '\(sweep.value)' is not a number of minutes from 0 (no sweep while serving) to 10080")
            }
            return Settings(
                host: host.value, port: p, maxClockAheadMinutes: minutes, level: l, smallCells: k, retentionSweepMinutes: every)
        }

        func validate() throws {
            _ = try settings()
            guard (1...4096).contains(maxBodyMB) else { throw ValidationError("--max-body-mb: '\(maxBodyMB)' is not from 1 to 4096") }
            guard (1...1000).contains(maxConnections) else { throw ValidationError("--max-connections: '\(maxConnections)' is not from 1 to 1000") }
        }

        /// The metrics token: the file's first line, else $PALABRE_METRICS_TOKEN; a file that cannot be read, or an empty or
        /// short token, stops the service before it listens.
        func metricsToken() throws -> String? {
            var token: String?
            if let file = metricsTokenFile {
                guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                    throw Failure("--metrics-token-file: '\(file)' cannot be read", code: 66)
                }
                token = text.split(whereSeparator: \.isNewline).first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
            } else if let env = environment("PALABRE_METRICS_TOKEN") {
                token = env.trimmingCharacters(in: .whitespacesAndNewlines)
            }
            if let token, token.count < 16 || token.contains(where: \.isWhitespace) {
                throw Failure("the metrics token must be at least 16 characters without spaces (e.g. openssl rand -hex 24)", code: 64)
            }
            return token
        }

        func run() async throws {
            let settings = try settings()
            bootstrapLogging(level: settings.level)
            let logger = Logger(label: "palabre.server")
            try await guarded {
                let catalog = try loadForms()
                let backend = try await options.openBackend(
                    forms: catalog, maxClockAhead: .seconds(settings.maxClockAheadMinutes * 60),
                    maxConnections: maxConnections, logger: logger, connect: false)
                backend.pseudonymSecret.keep(inFile: pseudonymKeyFile ?? environment("PALABRE_PSEUDONYM_KEY_FILE"))
                var configuration = ServerConfiguration(host: settings.host, port: settings.port, maxBodyBytes: maxBodyMB << 20)
                configuration.smallCells = settings.smallCells
                configuration.metricsToken = try metricsToken()
                let shownHost = settings.host == "0.0.0.0" ? "127.0.0.1" : settings.host
                let samples = demo ? try demoSamples() : nil
                let database = options.shown
                var app = buildApplication(configuration: configuration, backend: backend, logger: logger) { port in
                    logger.notice(
                        "listening",
                        metadata: [
                            "url": "http://\(shownHost):\(port)", "database": "\(database)", "forms": "\(catalog.names.joined(separator: ","))",
                            "max_clock_ahead_min": "\(settings.maxClockAheadMinutes)",
                        ])
                }
                // PostgreSQL's pools are a service of the application: started before it listens, closed after its last
                // answer on a graceful shutdown.
                if let postgres = backend as? PostgresBackend { app.addServices(postgres) }
                // Retention sweeps start once the database is migrated and checked, then run every so often.
                let ready = ReadyGate()
                if settings.retentionSweepMinutes > 0 {
                    app.addServices(
                        RetentionService(
                            backend: backend, every: .seconds(settings.retentionSweepMinutes * 60), ready: ready, logger: logger))
                }
                app.beforeServerStarts {
                    if let postgres = backend as? PostgresBackend { try await prepare(postgres) }
                    // A key file that cannot be used stops the service before it answers anyone.
                    if backend.pseudonymSecret.path != nil { try await backend.preparePseudonymSecret() }
                    if let samples {
                        let report = try await DemoSetup.prepare(backend, samples: samples)
                        // Written straight to the descriptor: the tokens must show before the service blocks, even when piped.
                        let text = DemoSetup.instructions(report, url: "http://\(shownHost):\(settings.port)", database: database)
                        FileHandle.standardOutput.write(Data((text + "\n").utf8))
                    }
                    ready.open()
                }
                do {
                    try await app.runService()
                } catch let failure as Failure {
                    throw failure
                } catch let error as ServiceError {
                    throw error  // the demo's setup, before listening: `guarded` gives its exit code
                } catch let error as StoreError {
                    throw error
                } catch {
                    throw Failure("the service stopped: \(error)", code: 1)
                }
                logger.notice("stopped")
            }
        }

        /// The demo data set: `--samples`, else the checkout's `samples/demo.jsonl`.
        func demoSamples() throws -> String {
            guard let found = samples ?? ResourceLocator.find("samples/demo.jsonl") else {
                throw Failure("--samples: the demo data set samples/demo.jsonl was not found; give --samples FILE", code: 66)
            }
            return found
        }

        /// The forms a new project starts with (``serviceForms(_:)``).
        func loadForms() throws -> FormCatalog { try serviceForms(forms) }
    }
}
