"""rehabkit serve: the patient's pages in a browser (the optional extra rehabkit[serve])."""
