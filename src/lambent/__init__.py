"""Lambent: a self-hosted serverless platform that speaks AWS Lambda's APIs."""

__version__ = "0.1.0"
