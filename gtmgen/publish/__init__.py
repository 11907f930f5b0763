"""Publishing: read a live workspace, plan the changes, apply them, version and publish.

The pipeline is one module per stage: `read` (workspace -> Container + ids/fingerprints),
`plan` (a Plan value), `apply` (bulk_update, per-entity fallback), `release` (quick_preview,
create_version, publish). They talk to the Tag Manager API only through the `TagManagerApi`
protocol in `protocol`; `api` is the one module that imports googleapiclient.
"""
