"""The WSGI app object that serverless-wsgi (custom.wsgi.app in deployment/custom.yml) serves."""

from . import create_app, snapstart

app = create_app()
snapstart.register(app)  # SnapStart's restore hooks, when Lambda initialises for a snapshot
