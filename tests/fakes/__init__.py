"""Local fake HTTP servers speaking third-party wire formats, and their recorded responses."""
