"""Accounts and roles: staff with passwords, litigants and agents with phone codes and tokens."""
