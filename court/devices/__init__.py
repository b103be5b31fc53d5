"""Phone-held signing keys: enrolment by CSR, certificates from the event CA, revocation."""
