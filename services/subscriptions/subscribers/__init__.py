"""The subscribers part of the subscriptions service."""
