async def test_start_shows_menu(chat):
    await chat.say("/start")
    assert chat.buttons == [
        "Hỏi đáp khuyến công",
        "Kiểm tra điều kiện",
        "Soạn đề án",
        "Nhắc hạn",
        "Liên hệ cán bộ",
    ]
