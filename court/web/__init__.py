"""Server-rendered pages for court staff (zh-CN)."""
