"""Adopting the template (`make adopt`) and following its pipeline (`make template-update`).

The pipeline's files belong to the template and the rest to the adopter: files.toml draws the
line, and the record (.template.toml) remembers each pipeline file's hash, so an update replaces
only what the adopter left untouched and never needs a merge.
"""
