"""Starts LocalStack's runtime as `python -m localstack.runtime.main` does, with its S3 object store
in $LRT_S3_STORAGE_DIR. LocalStack fixes that store at /tmp/localstack-s3-storage (a module constant,
no setting), and S3 is always on: Secrets Manager depends on it through Lambda. Run by
scripts/services.sh with the virtualenv's Python."""

import os
import runpy

import localstack.services.s3.provider as s3_provider

if not hasattr(s3_provider, "DEFAULT_S3_TMP_DIR"):
    raise SystemExit(
        "localstack.services.s3.provider.DEFAULT_S3_TMP_DIR is gone in this LocalStack version: "
        "scripts/services/localstack_main.py needs to learn where its S3 store is set now"
    )
s3_provider.DEFAULT_S3_TMP_DIR = os.environ["LRT_S3_STORAGE_DIR"]

runpy.run_module("localstack.runtime.main", run_name="__main__", alter_sys=True)
