"""The one logger every module shares (Powertools reads POWERTOOLS_SERVICE_NAME and POWERTOOLS_LOG_LEVEL)."""

from aws_lambda_powertools import Logger

logger = Logger(service="chat")
