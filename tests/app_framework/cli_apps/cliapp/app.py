from app_framework import App

testapp = App("testapp")
