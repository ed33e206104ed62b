import { Controller, Get } from '@nestjs/common';
import { OrdersService } from './orders.service.js';

@Controller('orders')
export class OrdersController {
  constructor(private readonly orders: OrdersService) {}

  /** The order events handled so far (any live token). */
  @Get('events') events() {
    return this.orders.handled;
  }
}
