"""Who may do what: principals and roles, token secrets, PINs, limits, origins."""
