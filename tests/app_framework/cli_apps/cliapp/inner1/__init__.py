from app_framework import App

application = App("inner1")
