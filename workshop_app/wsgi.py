"""The WSGI app object that serverless-wsgi (custom.wsgi.app in serverless.yml) serves."""

from . import create_app

app = create_app()
