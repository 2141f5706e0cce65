"""rootgen: lays out Docker (dockerd 20.10) data roots for layergc's tests.

The model (model.py) is driver independent; scenario.py decides what the root holds; writers put it
on disk (metadata_writer.py for image/, containers/ and buildkit/, driver_layout.py for overlay2 and
aufs); expectations.py derives which driver dirs a correct collector removes. Formats follow
/work/shared/docker-layout.md (moby v20.10.24).
"""
