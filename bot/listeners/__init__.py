"""Slack listeners: small async functions that ack, then hand the work to the bot's services."""
