"""Parsers of what users type (dates, money, phone numbers) into plain values."""
