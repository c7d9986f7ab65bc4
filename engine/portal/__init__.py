"""The portal's application functions (accounts, sessions, applications and their states, the
district's appraisal, the province's dashboard, the audit log), on the history store.

`cqtt web` (the `web` package) and the CLI's `users`, `units load` and `audit` commands are two
faces over these; neither reads, scores or writes anything itself. Nothing in engine/ below this
package imports it.
"""
