"""Lambda entry points. Each module's `lambda_handler` is one function's handler."""
