from app_framework import App

app = App("inner2")
