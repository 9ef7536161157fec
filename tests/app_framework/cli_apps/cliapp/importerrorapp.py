from app_framework import App

raise ImportError()

testapp = App("testapp")
