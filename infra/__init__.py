"""The CDK app's constructs. Never imports lambdas/: it ships that folder as an asset."""
