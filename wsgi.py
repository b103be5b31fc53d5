from court import create_app

app = create_app()
