"""The chat backend: one code asset shared by every Lambda function."""
