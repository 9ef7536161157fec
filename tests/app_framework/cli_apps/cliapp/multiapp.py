from app_framework import App

app1 = App("app1")
app2 = App("app2")
