"""Trade documents and bank messages: parse, validate and build.

UBL and CII invoices, orders and despatch advices, ERP payables files, ISO 20022 pain.001
out and camt.053/054 in.

May import: `openscf.domain`, `openscf.trust`, lxml and other parsing libraries.
"""
