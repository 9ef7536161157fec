from app_framework import App

app = App("hello")


@app.route("/")
def hello() -> str:
    return "Hello World!"
