"""Reports per address-management domain: one service builds the report as plain data, renderers show it.

``domain.build_domain_report`` is the entry point the page, the CSV and PDF exports and the JSON API share;
``change_record.build_change_record`` does the same for one run's change record.
"""
